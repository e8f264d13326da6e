"""Sending approved records to the ERP in the background: the export worker's runs, the look-up
of a failed export, and vendor updates."""
