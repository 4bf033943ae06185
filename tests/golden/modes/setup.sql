-- Handling modes that change values: binary.handling.mode, interval.handling.mode
-- and unavailable.value.placeholder (settings.properties). `big` and `blob` are
-- stored out of line, uncompressed, so an update that leaves them alone sends
-- them as unchanged TOAST values, which events carry as the placeholder.
CREATE SCHEMA modes;
CREATE TABLE modes.items (
    id int PRIMARY KEY,
    data bytea,
    gap interval,
    big text,
    blob bytea,
    note text
);
ALTER TABLE modes.items ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE modes.items ALTER COLUMN blob SET STORAGE EXTERNAL;
INSERT INTO modes.items VALUES (1, '\x00ff10', '1 year 2 mons 3 days 04:05:06.789', repeat('x', 5000), decode(repeat('ab', 5000), 'hex'), 'a');
INSERT INTO modes.items VALUES (2, '\x', '-1 days +02:03:00', NULL, NULL, 'b');
INSERT INTO modes.items VALUES (3, NULL, '00:00:00.000001', 'short', '\x01', 'c');
INSERT INTO modes.items VALUES (6, '\xfffefd', '3 mons -00:00:01.25', 'six', '\x06', 'f');
