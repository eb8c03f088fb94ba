"""zeroparty's migrations; append-only: a released revision is never edited."""
