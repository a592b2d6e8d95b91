"""The web portal: server-rendered pages (Jinja2, plain forms, no JavaScript build) over
the same services and the same tenant-isolation helper as the API."""
