-- 012 — a CUSTOMER named by its exact name (case-insensitive) is an index read: the
-- trigram index of 011 serves a part of a name, but for a whole name it reads the posting
-- lists of trigrams every customer shares ("cus", "ome", ...), a few milliseconds each.
CREATE INDEX index_customers_name_lower ON core.customers (lower(name));
