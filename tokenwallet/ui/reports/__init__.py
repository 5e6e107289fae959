"""Monthly reports in the tray app: the export dialog and the PDF renderer (Qt draws the PDF)."""
