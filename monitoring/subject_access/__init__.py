"""Subject access (issue 20): everything the product holds about a child, gathered into one
download by a worker after a manager has reviewed the third-party information in it."""
