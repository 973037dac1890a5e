"""统计 (figures) of the complaints domain: per-complaint facts and daily rollups, kept from the event log."""
