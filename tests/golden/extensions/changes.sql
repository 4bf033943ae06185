INSERT INTO extensions.items VALUES (4, 'ÜnïCödé', '{"with,comma",NULL}', 'x@Y.z', 'k=>"quote\"d", empty=>""', ARRAY[''::hstore], 'a.b_c.d1', '{a}', 'a|b.c', '5-901234-123457', '978-3-16-148410-0', '2049-3630', '042100005264');
UPDATE extensions.items SET name = 'Changed', attrs = 'a=>2' WHERE id = 1;
DELETE FROM extensions.items WHERE id = 2;
