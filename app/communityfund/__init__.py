"""社区基金: a street's community fund on the ledger core, with public disclosure."""
