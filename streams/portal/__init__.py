"""Portal domain: raw portal rows and rating signals per agency."""
