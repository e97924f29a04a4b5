"""The app: REST resources, services, CLI, push, media, backups, the production server."""
