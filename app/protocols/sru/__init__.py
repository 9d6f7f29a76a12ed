"""SRU 1.1, 1.2 and 2.0 with CQL: search and retrieve for copy cataloguing."""
