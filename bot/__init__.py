"""Xieshang (协商助手): the Telegram assistant for collective bargaining instructors."""
