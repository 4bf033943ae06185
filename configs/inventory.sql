-- The reference pipeline's source database (inventory_db), schema `inventory`:
-- four tables with REPLICA IDENTITY FULL and a trigger that stamps
-- modified_at on update. Capture reads products and customers only.
CREATE SCHEMA inventory;

CREATE FUNCTION inventory.stamp_modified_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.modified_at := CURRENT_TIMESTAMP;
    RETURN NEW;
END $$;

CREATE TABLE inventory.products (
    id          serial PRIMARY KEY,
    name        varchar(255) NOT NULL,
    description varchar(512),
    created_at  timestamp NOT NULL DEFAULT now(),
    modified_at timestamp NOT NULL DEFAULT now()
);
ALTER SEQUENCE inventory.products_id_seq RESTART WITH 101;

CREATE TABLE inventory.stock (
    product_id  int PRIMARY KEY REFERENCES inventory.products (id),
    quantity    int NOT NULL,
    created_at  timestamp NOT NULL DEFAULT now(),
    modified_at timestamp NOT NULL DEFAULT now()
);

CREATE TABLE inventory.customers (
    id          serial PRIMARY KEY,
    name        varchar(255) NOT NULL,
    email       varchar(255) NOT NULL UNIQUE,
    created_at  timestamp NOT NULL DEFAULT now(),
    modified_at timestamp NOT NULL DEFAULT now()
);
ALTER SEQUENCE inventory.customers_id_seq RESTART WITH 1001;

CREATE TABLE inventory.orders (
    id          serial PRIMARY KEY,
    quantity    int,
    customer_id int REFERENCES inventory.customers (id),
    product_id  int REFERENCES inventory.products (id),
    created_at  timestamp NOT NULL DEFAULT now(),
    modified_at timestamp NOT NULL DEFAULT now()
);
ALTER SEQUENCE inventory.orders_id_seq RESTART WITH 10001;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['products', 'stock', 'customers', 'orders'] LOOP
        EXECUTE format('ALTER TABLE inventory.%I REPLICA IDENTITY FULL', t);
        EXECUTE format('CREATE TRIGGER stamp_modified_at BEFORE UPDATE ON inventory.%I
                        FOR EACH ROW EXECUTE FUNCTION inventory.stamp_modified_at()', t);
    END LOOP;
END $$;

INSERT INTO inventory.products (name, description) VALUES
    ('scooter', 'Small 2-wheel scooter'),
    ('car battery', '12V car battery'),
    ('12-pack drill bits', '12-pack of drill bits with sizes ranging from #40 to #3'),
    ('hammer', '12oz carpenter''s hammer'),
    ('spare tire', '24 inch spare tire');
INSERT INTO inventory.stock (product_id, quantity) VALUES (101, 3), (102, 8), (103, 18), (104, 4), (105, 7);
INSERT INTO inventory.customers (name, email) VALUES
    ('Sally Thomas', 'sally.thomas@acme.com'),
    ('George Bailey', 'gbailey@foobar.com'),
    ('Edward Walker', 'ed@walker.com'),
    ('Aidan Barrett', 'aidan@example.com'),
    ('Anne Kretchmar', 'annek@noanswer.org');
INSERT INTO inventory.orders (quantity, customer_id, product_id) VALUES
    (1, 1001, 102), (2, 1002, 105), (2, 1003, 101), (1, 1004, 104), (5, 1005, 103);
