-- The pieces error objects and batch registration are built from, at their edges:
-- logic.fill_template (placeholders of a-z and _ only, values as text, arrays joined,
-- objects by id, anything else left as written), logic.describe_errors (one object per
-- code, in the given order, duplicates and unknown codes included) and
-- logic.batch_line_fields (a staged line cleaned and split).
BEGIN;
SELECT plan(21);

SELECT is(logic.fill_template('{a} and {b}', '{"a": "x", "b": 5}'), 'x and 5', 'a string and a number');
SELECT is(logic.fill_template('{_}', '{"_": "x"}'), 'x', 'a name of _ alone');
SELECT is(logic.fill_template('{}', '{"": "x"}'), '{}', 'no name: left as written');
SELECT is(logic.fill_template('{A}', '{"A": "x"}'), '{A}', 'an upper-case name: left as written');
SELECT is(logic.fill_template('{a b}', '{"a b": "x"}'), '{a b}', 'a name with a space: left as written');
SELECT is(logic.fill_template('{a', '{"a": "x"}'), '{a', 'an unclosed brace: left as written');
SELECT is(logic.fill_template('{a{b}}', '{"a": "x", "b": "y"}'), '{ay}', 'a brace inside: the inner name filled');
SELECT is(logic.fill_template('{a} {c}', '{"a": null}'), '{a} {c}', 'a null or missing value: left as written');
SELECT is(logic.fill_template('{a}', NULL), '{a}', 'no values: left as written');
SELECT is(logic.fill_template(NULL, '{"a": "x"}'), NULL, 'no template: none');
SELECT is(logic.fill_template('[{a}]', '{"a": []}'), '[none]', 'an empty array: none');
SELECT is(logic.fill_template('{a}', '{"a": ["p", "q"]}'), 'p, q', 'an array of strings, joined');
SELECT is(logic.fill_template('{a}', '{"a": [{"id": "s1", "x": 1}, {"id": "s2"}]}'), 's1, s2', 'an array of objects, by id');
SELECT is(logic.fill_template('{a}', '{"a": [[1, 2]]}'), '[1, 2]', 'an array of arrays: its elements as JSON');
SELECT is(logic.fill_template('é {a} ü', '{"a": "ß"}'), 'é ß ü', 'characters beyond ASCII around and in a value');

SELECT is((SELECT jsonb_agg(e ->> 'code') FROM jsonb_array_elements(
              logic.describe_errors(ARRAY['version_mismatch', 'quantity_out_of_range', 'version_mismatch', 'no_such_code'])) e),
          '["version_mismatch", "quantity_out_of_range", "version_mismatch", "no_such_code"]'::jsonb,
          'describe_errors: one object per code, in the given order, duplicates kept');
SELECT is(logic.describe_errors(ARRAY['no_such_code']) -> 0 -> 'description', 'null'::jsonb,
          'an unknown code has no description');
SELECT is(logic.describe_errors(NULL) || logic.describe_errors('{}'), '[]'::jsonb, 'no codes: no objects');

SELECT is(logic.batch_line_fields(2, E'a,"b ""c""",\r'), ARRAY['a', 'b "c"', ''], 'a data line: CR dropped, quotes undone');
SELECT is(logic.batch_line_fields(2, E'\uFEFFa,b'), ARRAY[E'\uFEFFa', 'b'], 'a byte order mark is dropped on line 1 only');
SELECT is(logic.batch_line_fields(2, 'a,"b'), NULL, 'broken quoting: none');

SELECT * FROM finish();
ROLLBACK;
