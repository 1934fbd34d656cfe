-- The platform's administrations (partner add, partner map-login, customer link, catalog
-- apply) take a request id like every other mutation: it is in their result and audit
-- events; repeating it with the same parameters returns the first result and changes
-- nothing, with others it is refused (request_id_reused). Their request ids are kept
-- under the platform's key (logic.platform_request_key), apart from every partner's.
BEGIN;
SELECT plan(17);

CREATE TEMP TABLE fx (first jsonb, events bigint);
SELECT 'pa-' || substr(md5(random()::text), 1, 10) AS partner \gset

-- partner add
INSERT INTO fx (first) SELECT api.partner_add(:'partner', 'Partner A', 'ticket 1', 'add-a');
UPDATE fx SET events = (SELECT count(*) FROM core.audit_events);
SELECT is(first ->> 'request_id', 'add-a', 'partner add: the result names its request id') FROM fx;
SELECT is((SELECT request_id FROM core.audit_events WHERE operation = 'add_partner' AND entity_id = :'partner'),
          'add-a', 'and so does its audit event');
SELECT is(api.partner_add(:'partner', 'Partner A', 'ticket 1', 'add-a'), first, 'repeated: the first result') FROM fx;
SELECT is((SELECT count(*) FROM core.audit_events), events, 'the repeat wrote no audit event') FROM fx;
SELECT is(test.codes(api.partner_add(:'partner' || '-b', 'Partner B', NULL, 'add-a')), '{request_id_reused}',
          'the request id with another partner: request_id_reused');
SELECT is((SELECT count(*) FROM core.partners WHERE id = :'partner' || '-b'), 0::bigint, 'and nothing added');
SELECT is((SELECT request_id FROM core.audit_events WHERE operation = 'add_partner' AND outcome = 'rejected'
           ORDER BY id DESC LIMIT 1), 'add-a', 'the refusal is audited with the request id');
SELECT is((SELECT partner_id FROM core.request_ids WHERE request_id = 'add-a'), logic.platform_request_key(),
          'kept under the platform''s key, no partner''s');
SELECT is(test.codes(api.partner_add(:'partner', 'Partner A', NULL, 'add-a-again')), '{partner_exists}',
          'a new request id for the same partner: partner_exists');
SELECT is(api.partner_add(:'partner', 'Partner A', NULL, 'add-a-again') ->> 'request_id', 'add-a-again',
          'a refusal repeated: the first refusal, with its request id');

-- customer link and map-login
SELECT test.act_as(:'partner');
SELECT api.customer_add('Linked Customer') ->> 'id' AS customer \gset
SELECT 'pb-' || substr(md5(random()::text), 1, 10) AS other \gset
SELECT api.partner_add(:'other', 'Partner B') AS ignored \gset
SELECT api.customer_link(:'customer', :'other', NULL, 'link-1') AS link \gset
SELECT is(ARRAY[:'link'::jsonb ->> 'status', :'link'::jsonb ->> 'request_id',
                (SELECT request_id FROM core.audit_events WHERE operation = 'link_customer' AND customer_id = :'customer')],
          ARRAY['succeeded', 'link-1', 'link-1'], 'customer link: its request id in the result and the audit event');
SELECT is(api.customer_link(:'customer', :'other', NULL, 'link-1'), :'link'::jsonb,
          'repeated: the first result, not customer_already_linked');
CREATE ROLE test_request_login LOGIN;
SELECT is(api.partner_login_map('test_request_login', :'other', NULL, 'map-1') ->> 'request_id', 'map-1',
          'partner map-login: its request id in the result');
SELECT is(test.codes(api.partner_login_map('test_request_login', :'partner', NULL, 'map-1')), '{request_id_reused}',
          'its request id for another partner: request_id_reused');

-- catalog apply: the same document replays, another is refused
SELECT jsonb_set(test.catalog_document(), '{offers,0,name}', '"Renamed once"') AS renamed \gset
SELECT api.catalog_apply(:'renamed', 'ticket 9', 'catalog-1') AS applied \gset
SELECT is(ARRAY[:'applied'::jsonb ->> 'request_id',
                (SELECT request_id FROM core.audit_events WHERE operation = 'catalog_apply' ORDER BY id DESC LIMIT 1)],
          ARRAY['catalog-1', 'catalog-1'], 'catalog apply: its request id in the result and the audit event');
SELECT is(api.catalog_apply(:'renamed', 'ticket 9', 'catalog-1'), :'applied'::jsonb,
          'catalog apply repeated with the same document: the first result');
SELECT is(test.codes(api.catalog_apply(jsonb_set(test.catalog_document(), '{services,0,name}', '"Renamed"'), NULL, 'catalog-1')),
          '{request_id_reused}', 'with another document: request_id_reused');

SELECT * FROM finish();
ROLLBACK;
