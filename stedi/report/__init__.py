"""The HTML run report: what a run did to the lake, readable in a browser."""
