"""AWS: one resolution of credentials, region and endpoints for every library (see session)."""
