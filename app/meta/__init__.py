"""Look-ups the front end builds its screens from: the error catalogue and the enum labels."""
