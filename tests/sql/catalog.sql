-- The shipped catalog (SPEC section 2) as loaded by `subctl catalog apply`, and
-- api.catalog_apply: idempotent, updates changed offers, retires removed ones, refuses
-- an invalid document whole with SU060 naming the entry.
BEGIN;
SELECT plan(30);

-- ------------------------------------------------------------ the shipped catalog
SELECT set_eq($$SELECT id, name FROM core.offers WHERE NOT retired$$,
              $$VALUES ('o365-business-essentials', 'Office 365 Business Essentials'),
                       ('o365-business', 'Office 365 Business'),
                       ('o365-business-premium', 'Office 365 Business Premium'),
                       ('o365-proplus', 'Office 365 ProPlus'),
                       ('o365-e1', 'Office 365 Enterprise E1'),
                       ('o365-e3', 'Office 365 Enterprise E3'),
                       ('o365-extra-file-storage', 'Office 365 Extra File Storage')$$,
              'the seven offers of SPEC section 2 are live, with their names');
SELECT is_empty($$SELECT id FROM core.offers WHERE service_id <> 'office365'$$, 'every offer is office365');
SELECT set_eq($$SELECT source_offer_id, target_offer_id FROM core.upgrade_paths$$,
              $$VALUES ('o365-business', 'o365-business-premium'), ('o365-business', 'o365-proplus'),
                       ('o365-business', 'o365-e3'), ('o365-business-premium', 'o365-e3'),
                       ('o365-business-essentials', 'o365-business-premium'),
                       ('o365-business-essentials', 'o365-e1'), ('o365-business-essentials', 'o365-e3')$$,
              'the upgrade paths are exactly the seven of SPEC section 2');
SELECT is_empty($$SELECT id FROM core.offers WHERE min_quantity <> 1$$, 'the minimum is 1 license for every offer');
SELECT set_eq($$SELECT id, max_quantity FROM core.offers$$,
              $$VALUES ('o365-business-essentials', 300), ('o365-business', 300), ('o365-business-premium', 300),
                       ('o365-proplus', 10000000), ('o365-e1', 10000000), ('o365-e3', 10000000),
                       ('o365-extra-file-storage', 10000000)$$,
              'the maximum licenses are those of SPEC section 2');
SELECT set_eq($$SELECT offer_id, billing_cycle FROM core.offer_billing_cycles$$,
              $$SELECT o.id, c FROM core.offers o, unnest(ARRAY['monthly', 'annual']) c$$,
              'every offer is monthly and annual');
SELECT set_eq($$SELECT id FROM core.offers WHERE is_add_on$$, $$VALUES ('o365-extra-file-storage')$$,
              'the one add-on is o365-extra-file-storage');
SELECT set_eq($$SELECT add_on_offer_id, parent_offer_id FROM core.offer_add_on_parents$$,
              $$VALUES ('o365-extra-file-storage', 'o365-e1'), ('o365-extra-file-storage', 'o365-e3'),
                       ('o365-extra-file-storage', 'o365-business-essentials'),
                       ('o365-extra-file-storage', 'o365-business-premium')$$,
              'the add-on goes on E1, E3, Business Essentials and Business Premium');
SELECT set_eq($$SELECT offer_id, service_plan_id FROM core.offer_service_plans$$,
              $$SELECT o, p FROM (VALUES
                  ('o365-business-essentials', ARRAY['exchange-online', 'sharepoint-online', 'skype-for-business-online',
                                                     'onedrive-for-business', 'office-online']),
                  ('o365-business', ARRAY['onedrive-for-business', 'office-online', 'office-desktop-apps']),
                  ('o365-business-premium', ARRAY['exchange-online', 'sharepoint-online', 'skype-for-business-online',
                                                  'onedrive-for-business', 'office-online', 'office-desktop-apps']),
                  ('o365-proplus', ARRAY['onedrive-for-business', 'office-online', 'office-proplus']),
                  ('o365-e1', ARRAY['exchange-online', 'sharepoint-online', 'skype-for-business-online',
                                    'onedrive-for-business', 'office-online']),
                  ('o365-e3', ARRAY['exchange-online', 'sharepoint-online', 'skype-for-business-online',
                                    'onedrive-for-business', 'office-online', 'office-proplus'])) AS spec (o, plans),
                  unnest(plans) p$$,
              'each offer includes the service plans of SPEC section 2 (the add-on none)');

-- ------------------------------------------------------------ catalog documents
-- p_document with p_patch merged into the offer p_offer.
CREATE FUNCTION pg_temp.with_offer(p_document jsonb, p_offer text, p_patch jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_set(p_document, '{offers}', (
        SELECT jsonb_agg(CASE WHEN o ->> 'id' = p_offer THEN o || p_patch ELSE o END)
        FROM jsonb_array_elements(p_document -> 'offers') o))
$$;
-- p_document without the offer p_offer and the upgrade paths to it.
CREATE FUNCTION pg_temp.without_offer(p_document jsonb, p_offer text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_set(p_document, '{offers}', (
        SELECT jsonb_agg(jsonb_set(o, '{upgrades_to}', coalesce(o -> 'upgrades_to', '[]') - p_offer))
        FROM jsonb_array_elements(p_document -> 'offers') o WHERE o ->> 'id' <> p_offer))
$$;
CREATE TEMP VIEW catalog_events AS SELECT count(*)::int AS n FROM core.audit_events WHERE operation = 'catalog_apply';

CREATE TEMP TABLE shipped AS SELECT test.catalog_document() AS document, api.catalog() AS catalog,
                                    (SELECT n FROM catalog_events) AS events;

-- ------------------------------------------------------------ idempotent apply
SELECT is(api.catalog_apply((SELECT document FROM shipped)) -> 'changed', 'false'::jsonb,
          'applying the catalog the database holds reports changed = false');
SELECT is(api.catalog(), (SELECT catalog FROM shipped), 'and leaves the catalog as it was');
SELECT is((SELECT n FROM catalog_events), (SELECT events + 1 FROM shipped), 'and writes one audit event, as every attempt does');
SELECT is((SELECT jsonb_build_array(outcome, changes) FROM core.audit_events WHERE operation = 'catalog_apply' ORDER BY id DESC LIMIT 1),
          '["succeeded", {}]'::jsonb, 'succeeded, with no changed fields');

-- ------------------------------------------------------------ a changed document
SELECT is(api.catalog_apply(pg_temp.with_offer((SELECT document FROM shipped), 'o365-business',
                                               '{"max": 500, "name": "Office 365 Business (2024)"}')) -> 'changed',
          'true'::jsonb, 'applying a changed document reports changed = true');
SELECT is((SELECT (max_quantity, name)::text FROM core.offers WHERE id = 'o365-business'),
          '(500,"Office 365 Business (2024)")', 'the changed offer is updated');
SELECT is((SELECT n FROM catalog_events), (SELECT events + 2 FROM shipped), 'the change writes one audit event');
SELECT is(api.catalog_apply(pg_temp.with_offer((SELECT document FROM shipped), 'o365-business-premium',
                                               '{"upgrades_to": []}')) -> 'upgrade_paths',
          '6'::jsonb, 'dropping a path from the document leaves six upgrade paths');
SELECT ok(NOT EXISTS (SELECT 1 FROM core.upgrade_paths WHERE source_offer_id = 'o365-business-premium'),
          'the dropped path is gone from the database');

-- ------------------------------------------------------------ a removed offer
SELECT lives_ok($$SELECT api.catalog_apply(pg_temp.without_offer((SELECT document FROM shipped), 'o365-proplus'))$$,
                'a document without o365-proplus is applied');
SELECT is((SELECT retired FROM core.offers WHERE id = 'o365-proplus'), true,
          'the removed offer is retired, not deleted');
SELECT is(api.catalog_apply((SELECT document FROM shipped)) -> 'changed', 'true'::jsonb,
          'applying the shipped document again is a change');
SELECT is(api.catalog(), (SELECT catalog FROM shipped), 'and brings back exactly the shipped catalog, offer un-retired');

-- ------------------------------------------------------------ an offer leaves the paths and becomes an add-on
SELECT lives_ok(format('SELECT api.catalog_apply(%L)',
                       pg_temp.with_offer(pg_temp.with_offer((SELECT document FROM shipped), 'o365-proplus', '{"add_on_to": ["o365-e3"]}'),
                                          'o365-business', '{"upgrades_to": ["o365-business-premium", "o365-e3"]}')),
                'one document may drop the paths of an offer and make it an add-on');
SELECT is((SELECT is_add_on FROM core.offers WHERE id = 'o365-proplus'), true, 'that offer is now an add-on');

-- ------------------------------------------------------------ invalid documents, refused whole
SELECT throws_ok(format('SELECT api.catalog_apply(%L)', pg_temp.with_offer((SELECT document FROM shipped), 'o365-e1',
                        '{"plans": ["exchange-online", "yammer-enterprise"]}')),
                 'SU060', 'invalid catalog: offer o365-e1: unknown service plan yammer-enterprise',
                 'an unknown service plan is refused, naming the offer and the plan');
SELECT throws_ok(format('SELECT api.catalog_apply(%L)', pg_temp.with_offer((SELECT document FROM shipped), 'o365-e1',
                        '{"upgrades_to": ["o365-e5"]}')),
                 'SU060', 'invalid catalog: offer o365-e1: upgrade path to unknown offer o365-e5',
                 'a path to an unknown offer is refused, naming both');
SELECT throws_ok(format('SELECT api.catalog_apply(%L)', pg_temp.with_offer((SELECT document FROM shipped), 'o365-e3',
                        '{"upgrades_to": ["o365-business-premium"]}')),
                 'SU060', 'invalid catalog: offer o365-business-premium: upgrade paths form a cycle; '
                          'offer o365-e3: upgrade paths form a cycle',
                 'a cycle is refused, naming the offers on it');
SELECT throws_ok(format('SELECT api.catalog_apply(%L)', pg_temp.with_offer((SELECT document FROM shipped), 'o365-e1',
                        '{"upgrades_to": ["o365-extra-file-storage"]}')),
                 'SU060', 'invalid catalog: offer o365-e1: upgrade path o365-e1 -> o365-extra-file-storage involves an add-on',
                 'an add-on as upgrade target is refused, naming the path');
SELECT throws_ok(format('SELECT api.catalog_apply(%L)', pg_temp.with_offer((SELECT document FROM shipped), 'o365-e1',
                        '{"min": 10, "max": 5}')),
                 'SU060', 'invalid catalog: offer o365-e1: min and max must be whole numbers with 1 <= min <= max <= 2147483647 (min 10, max 5)',
                 'max < min is refused, naming the offer and both values');
SELECT throws_ok(format('SELECT api.catalog_apply(%L)',
                        pg_temp.with_offer(pg_temp.with_offer((SELECT document FROM shipped), 'o365-e1', '{"min": 10, "max": 5}'),
                                           'o365-e3', '{"upgrades_to": ["o365-e9"]}')),
                 'SU060', 'invalid catalog: offer o365-e1: min and max must be whole numbers with 1 <= min <= max <= 2147483647 (min 10, max 5); '
                          'offer o365-e3: upgrade path to unknown offer o365-e9',
                 'every problem of a document is named, not just the first');

SELECT * FROM finish();
ROLLBACK;
