"""金城荟: merchant listings, reviews and offers."""
