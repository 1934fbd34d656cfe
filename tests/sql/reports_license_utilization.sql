-- report.license_utilization, license_utilization_totals and users_without_license: the
-- partner's subscriptions with their licenses purchased, assigned and unassigned (an
-- upgrade with license transfer moves them, one without leaves them on the replaced
-- source, a cancel releases them, another channel's subscription is not the partner's),
-- the totals as the sums of the active rows, the users who hold no license of an active
-- subscription; and, through reporter logins, another partner's customers never appear.
BEGIN;
SELECT plan(13);

-- A rival: its own customer with a user holding a license, and a user without one.
SELECT test.act_as_new_partner('lu-rival') AS rival \gset
SELECT test.new_customer() AS rival_customer \gset
SELECT test.new_subscription(:'rival_customer', 'o365-e3', 20) AS rival_sub \gset
SELECT api.user_add(:'rival_customer', 'r1@rival.partner.onmschina.cn') ->> 'status' AS ignored \gset
SELECT api.user_add(:'rival_customer', 'r2@rival.partner.onmschina.cn') ->> 'status' AS ignored \gset
SELECT api.license_change('assign', :'rival_sub', ARRAY['r1@rival.partner.onmschina.cn']) ->> 'status' AS ignored \gset

SELECT test.act_as_new_partner('lu') AS partner \gset
SELECT test.new_customer() AS a, test.new_customer() AS b, test.new_customer() AS c, test.new_customer() AS d \gset
CREATE FUNCTION pg_temp.users(p_customer uuid, p_names text[]) RETURNS void LANGUAGE sql AS $$
    SELECT api.user_add(p_customer, n || '@lu.partner.onmschina.cn') FROM unnest(p_names) n;
$$;
CREATE FUNCTION pg_temp.assign(p_subscription uuid, p_names text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF api.license_change('assign', p_subscription, ARRAY(SELECT n || '@lu.partner.onmschina.cn' FROM unnest(p_names) n))
           ->> 'status' <> 'succeeded' THEN
        RAISE EXCEPTION 'assigning % was refused', p_names;
    END IF;
END $$;
-- A: E1 with 3 of 10 assigned; ProPlus cancelled (its user released); a direct Business.
SELECT pg_temp.users(:'a', '{a1,a2,a3,a4}');
SELECT test.new_subscription(:'a', 'o365-e1', 10) AS a_e1, test.new_subscription(:'a', 'o365-proplus', 3) AS a_proplus,
       test.new_subscription(:'a', 'o365-business', 7, 'direct') AS a_direct \gset
SELECT pg_temp.assign(:'a_e1', '{a1,a2,a3}'), pg_temp.assign(:'a_proplus', '{a4}');
SELECT api.subscription_change('cancel', :'a_proplus') ->> 'status' AS ignored \gset
-- B: Business 2 of 5 assigned, upgraded to ProPlus without license transfer.
SELECT pg_temp.users(:'b', '{b1,b2}');
SELECT test.new_subscription(:'b', 'o365-business', 5) AS b_business \gset
SELECT pg_temp.assign(:'b_business', '{b1,b2}');
SELECT api.upgrade(:'b_business', 'o365-proplus', p_license_transfer => false) ->> 'target_subscription_id' AS b_proplus \gset
-- C: Business Essentials 2 of 4 assigned, upgraded to E1 with 6 licenses: they move.
SELECT pg_temp.users(:'c', '{c1,c2,c3}');
SELECT test.new_subscription(:'c', 'o365-business-essentials', 4) AS c_essentials \gset
SELECT pg_temp.assign(:'c_essentials', '{c1,c2}');
SELECT api.upgrade(:'c_essentials', 'o365-e1', 6) ->> 'target_subscription_id' AS c_e1 \gset
-- D: E3 1 of 6 assigned, suspended by the operator; a pending ProPlus.
SELECT pg_temp.users(:'d', '{d1}');
SELECT test.new_subscription(:'d', 'o365-e3', 6) AS d_e3, test.new_subscription(:'d', 'o365-proplus', 2, p_status => 'pending') AS d_pending \gset
SELECT pg_temp.assign(:'d_e3', '{d1}');
SELECT api.subscription_change('suspend', :'d_e3') ->> 'status' AS ignored \gset

SELECT set_eq('SELECT subscription_id, customer_id, offer_id, status, status_reason, purchased, assigned, unassigned, assigned_percent
               FROM report.license_utilization',
              format($$VALUES (%L::uuid, %L::uuid, 'o365-e1', 'active', NULL, 10, 3::bigint, 7::bigint, 30.0),
                              (%L, %L, 'o365-business', 'suspended', 'upgraded', 5, 2, 3, 40.0),
                              (%L, %L, 'o365-proplus', 'active', NULL, 5, 0, 5, 0.0),
                              (%L, %L, 'o365-e1', 'active', NULL, 6, 2, 4, 33.3),
                              (%L, %L, 'o365-e3', 'suspended', 'operator', 6, 1, 5, 16.7),
                              (%L, %L, 'o365-proplus', 'pending', NULL, 2, 0, 2, 0.0)$$,
                     :'a_e1', :'a', :'b_business', :'b', :'b_proplus', :'b', :'c_e1', :'c', :'d_e3', :'d', :'d_pending', :'d'),
              'license_utilization: each subscription sold and in force, and the replaced source that still holds licenses; '
              'neither the cancelled, the direct, the source whose licenses moved, nor the rival''s');
SELECT is((SELECT count(*) FROM report.license_utilization WHERE subscription_id IN (:'a_proplus', :'a_direct', :'c_essentials', :'rival_sub')),
          0::bigint, 'not listed: the cancelled ProPlus, the direct Business, the source whose licenses moved, the rival''s E3');
SELECT is((SELECT to_jsonb(t) FROM report.license_utilization_totals t),
          '{"subscriptions": 3, "customers": 3, "purchased": 21, "assigned": 5, "unassigned": 16, "assigned_percent": 23.8,
            "assigned_on_suspended": 3}'::jsonb,
          'license_utilization_totals: the active subscriptions'' sums, and what users hold of suspended ones');
SELECT is((SELECT ARRAY[t.subscriptions, t.purchased, t.assigned, t.unassigned, t.assigned_on_suspended]
           FROM report.license_utilization_totals t),
          (SELECT ARRAY[count(*) FILTER (WHERE status = 'active'), sum(purchased) FILTER (WHERE status = 'active'),
                        sum(assigned) FILTER (WHERE status = 'active'), sum(unassigned) FILTER (WHERE status = 'active'),
                        sum(assigned) FILTER (WHERE status = 'suspended')]::bigint[]
           FROM report.license_utilization),
          'the totals are the sums over license_utilization');
SELECT set_eq('SELECT upn, customer_id, licenses_not_active FROM report.users_without_license',
              format($$VALUES ('a4@lu.partner.onmschina.cn', %L::uuid, 0::bigint), ('b1@lu.partner.onmschina.cn', %L, 1),
                              ('b2@lu.partner.onmschina.cn', %L, 1), ('c3@lu.partner.onmschina.cn', %L, 0),
                              ('d1@lu.partner.onmschina.cn', %L, 1)$$, :'a', :'b', :'b', :'c', :'d'),
              'users_without_license: released by a cancel, left on a replaced source, never assigned, held on a suspended one');

-- A customer the platform links to the rival too: the rival's licenses of it are the
-- rival's (not in the partner's utilization), and they count for the user, who holds one.
SELECT test.act_as(:'rival');
SELECT test.link(:'a', :'rival');
SELECT test.new_relationship(:'a', false) ->> 'status' AS ignored \gset
SELECT test.new_subscription(:'a', 'o365-e3', 2) AS rival_on_a \gset
SELECT api.license_change('assign', :'rival_on_a', ARRAY['a4@lu.partner.onmschina.cn']) ->> 'status' AS ignored \gset
SELECT test.act_as(:'partner');
SELECT is((SELECT count(*) FROM report.license_utilization WHERE subscription_id = :'rival_on_a'), 0::bigint,
          'a shared customer: the rival''s subscription is not in the partner''s utilization');
SELECT is((SELECT count(*) FROM report.users_without_license WHERE upn LIKE 'a4@%'), 0::bigint,
          'the user holding the rival''s license holds a license');

-- Through reporter logins: each partner sees its own customers only.
SELECT test.act_as('');
SELECT test.new_login('tap_lu_reporter', 'subctl_reporter', :'partner');
SELECT test.new_login('tap_lu_rival_reporter', 'subctl_reporter', :'rival');
SET SESSION AUTHORIZATION tap_lu_reporter;
SELECT is((SELECT count(*) FROM report.license_utilization), 6::bigint, 'the partner''s reporter: its 6 rows');
SELECT is((SELECT count(*) FROM report.license_utilization WHERE customer_id = :'rival_customer')
          + (SELECT count(*) FROM report.users_without_license WHERE customer_id = :'rival_customer'), 0::bigint,
          'the partner''s reporter: no row of the rival''s customer in either report');
SELECT is((SELECT subscriptions FROM report.license_utilization_totals), 3::bigint, 'and its totals are its own');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION tap_lu_rival_reporter;
SELECT set_eq('SELECT subscription_id, assigned FROM report.license_utilization',
              format('VALUES (%L::uuid, 1::bigint), (%L, 1)', :'rival_sub', :'rival_on_a'),
              'the rival''s reporter: its own two subscriptions, none of the partner''s');
SELECT set_eq('SELECT upn FROM report.users_without_license', $$VALUES ('r2@rival.partner.onmschina.cn')$$,
              'the rival''s reporter: its customers'' users without a license (the shared customer''s hold one each)');
SELECT is((SELECT to_jsonb(t) - 'assigned_percent' FROM report.license_utilization_totals t),
          '{"subscriptions": 2, "customers": 2, "purchased": 22, "assigned": 2, "unassigned": 20, "assigned_on_suspended": 0}'::jsonb,
          'the rival''s totals: its two subscriptions');
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
