"""Presentation: the presenter bound to an update, texts and labels, keyboards, the views that
turn service results into what a screen, a workbook, a chart or a Word file shows."""
