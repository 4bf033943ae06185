INSERT INTO unknown_types.other VALUES (3, '((1,1),(2,2))', '<(0,0),1>', '{0,1,0}', '[(1,1),(2,2)]', '((0,0),(3,3))', '((0,0),(2,2),(2,0))', '0/0', '{}', '$', '(5,6)', '1', '2', '3', 'pg_type', 'text', 'c2', '=r/postgres', 'a', '1:1:', '1:1:', '{}', '{0}', '{}', '{}', '{}', '{}', '0000000000000', 'Top');
UPDATE unknown_types.other SET a_box = '((2,2),(3,3))', a_lsn = '1/0' WHERE id = 1;
DELETE FROM unknown_types.other WHERE id = 2;
