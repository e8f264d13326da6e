"""What people do to records and the rules it keeps: send, accept, reject, retry, unlink, edits,
vendor updates, the state table and its one audit writer, duplicate and look-alike checks."""
