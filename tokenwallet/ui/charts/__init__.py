"""Charts drawn with QPainter onto any paint device: the dashboard's widget and the PDF report share them."""
