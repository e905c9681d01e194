"""The trial-run portal: server-rendered pages for the people in a trial run (see erpops.portal.web)."""
