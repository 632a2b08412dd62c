"""The wall itself: config, store, scheduler, web app and command line."""
