"""Replication with a CouchDB-compatible hub: the replicator, its worker, its faults."""
