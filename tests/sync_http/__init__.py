"""The HTTP face of sync: the CouchDB and compact protocols, gzip, the snapshot."""
