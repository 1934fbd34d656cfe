// `subctl migrate` runs as the schema owner: no function a login put in a schema of the
// owner's search_path (public here) may run in its place, before or during the migration
// (SPEC 7.1). The bait: an exact-match pg_advisory_xact_lock(integer) in public, which
// would beat pg_catalog's (bigint) for hashtext()'s integer if names were not pinned first.
#include <catch2/catch.hpp>

#include "db/support.hpp"

TEST_CASE("migrate resolves names in pg_catalog before its first statement", "[db][migrate]") {
    const auto marker = test::unique("bait");
    {
        auto connection = test::connect();
        pqxx::work tx(connection);
        tx.exec0("CREATE TABLE public.migrate_bait (marker text)");
        tx.exec0("CREATE FUNCTION public.pg_advisory_xact_lock(k integer) RETURNS void LANGUAGE sql AS "
                 "$$ INSERT INTO public.migrate_bait VALUES (" + tx.quote(marker) + ") $$");
        tx.commit();
    }
    const auto migrated = test::subctl({"migrate", "-q"});
    INFO(migrated.err);
    CHECK(migrated.exit == 0);
    CHECK(test::scalar("SELECT count(*) FROM public.migrate_bait WHERE marker = $1", marker) == 0);
    auto connection = test::connect();
    pqxx::work tx(connection);
    tx.exec0("DROP FUNCTION public.pg_advisory_xact_lock(integer)");
    tx.exec0("DROP TABLE public.migrate_bait");
    tx.commit();
}
