-- 012 — naming and finding a customer stay index reads as customers are added.
-- 1. A CUSTOMER named by its exact name (case-insensitive) reads an index on lower(name):
--    the trigram index of 011 serves a part of a name, but for a whole name it reads the
--    posting lists of the trigrams that many names share (a city, a trade), a few
--    milliseconds each.
CREATE INDEX index_customers_name_lower ON core.customers (lower(name));
-- 2. The trigram indexes take each new customer at once instead of in GIN's pending list:
--    every search reads the whole pending list until a vacuum empties it (8,466 customers
--    added made a search read 421 pending pages, 16 ms), while a customer is added rarely.
ALTER INDEX core.index_customers_name_trgm SET (fastupdate = off);
ALTER INDEX core.index_customers_domain_trgm SET (fastupdate = off);
