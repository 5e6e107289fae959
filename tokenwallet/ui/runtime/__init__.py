"""What runs the app: start-up, the running app, background operations, single instance and guards."""
