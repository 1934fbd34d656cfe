-- The hot dataset of `make stress` and the crash test, built through the API so that it
-- is what operators would have recorded: partners stress-a (holds the relationships)
-- and stress-b (a rival that may take them over), :customers customers with 1 to 3
-- subscriptions each (all six base offers, ~10% direct), some add-ons; six users per
-- customer (u1..u6@stress-N.example.cn), one to four of them holding licenses of half
-- the csp subscriptions.
-- Usage: psql -v customers=200 -f seed.sql
\set ON_ERROR_STOP 1
SELECT setseed(0.42), set_config('stress.customers', :'customers', false);
SELECT api.partner_add(p, 'Stress partner ' || p) FROM unnest(ARRAY['stress-a', 'stress-b']) AS p;

DO $$
DECLARE
    v_offers text[] := ARRAY['o365-business-essentials', 'o365-business', 'o365-business-premium',
                             'o365-proplus', 'o365-e1', 'o365-e3'];
    v_customer uuid;
    v_result jsonb;
BEGIN
    FOR i IN 1 .. current_setting('stress.customers')::int LOOP
        PERFORM set_config('subctl.partner_id', 'stress-a', true);
        v_customer := (api.customer_add(format('Stress customer %s', i), NULL, format('stress-%s.example.cn', i)) ->> 'id')::uuid;
        PERFORM api.relationship_change('request', v_customer, 'office365');
        PERFORM api.relationship_change('accept', v_customer, 'office365');
        PERFORM api.user_add(v_customer, format('u%s@stress-%s.example.cn', k, i)) FROM generate_series(1, 6) k;
        FOR j IN 1 .. 1 + floor(random() * 3)::int LOOP
            v_result := api.subscription_add(v_customer, v_offers[1 + floor(random() * 6)::int], 5 + floor(random() * 20)::int,
                                             CASE WHEN random() < 0.3 THEN 'annual' ELSE 'monthly' END,
                                             CASE WHEN random() < 0.1 THEN 'direct' ELSE 'csp' END);
            IF v_result ->> 'channel' = 'csp' AND random() < 0.5 THEN  -- some of its users hold licenses
                PERFORM api.license_change('assign', (v_result ->> 'id')::uuid,
                                           ARRAY(SELECT format('u%s@stress-%s.example.cn', k, i)
                                                 FROM generate_series(1, 1 + floor(random() * 4)::int) k));
            END IF;
            IF v_result ->> 'offer_id' IN ('o365-e1', 'o365-e3') AND random() < 0.2 THEN
                PERFORM api.subscription_add(v_customer, 'o365-extra-file-storage', 1, v_result ->> 'billing_cycle',
                                             'csp', 'active', (v_result ->> 'id')::uuid);
            END IF;
        END LOOP;
        IF random() < 0.3 THEN  -- the customer accepts the rival's invitation too; it asks, and sells a little
            PERFORM api.customer_link(v_customer, 'stress-b');
            PERFORM set_config('subctl.partner_id', 'stress-b', true);
            PERFORM api.relationship_change('request', v_customer, 'office365');
            PERFORM api.subscription_add(v_customer, v_offers[1 + floor(random() * 6)::int], 3);
        END IF;
    END LOOP;
END $$;
