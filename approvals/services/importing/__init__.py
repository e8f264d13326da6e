"""What comes back from the ERP: cost codes, jobs, vendors, job costs and bills, read in
batches that resume, on a schedule, and the changes made in the ERP to what we exported."""
