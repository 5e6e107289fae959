"""The tray icon: the meter, its cached first drawing, the menu and what they show (built before anything else)."""
