-- Privacy and correctness: machine-learning rows whose phone reading and step-trainer reading
-- are not both of the one customer the row's key names. Zero rows = pass.
-- The key names at most one curated customer (it hashes the email, one curated row each);
-- a row must find that customer's step-trainer reading and that customer's phone reading.
-- Two anti-joins against the key's customer rather than one correlated rejoin, each naming
-- the customer in its own subquery: a CTE read by both would be stored whole in between.
WITH keyed AS (
    SELECT c.email, c.serialnumber, sha256(p.pseudonym_key || c.email) AS customer_key
    FROM customer_curated AS c
    CROSS JOIN run_parameters AS p
)
SELECT n.customer_key, n.sensorreadingtime, n.distancefromobject, n.x, n.y, n.z
FROM (
    SELECT m.*, k.serialnumber
    FROM machine_learning_curated AS m
    LEFT JOIN keyed AS k ON k.customer_key = m.customer_key
) AS n
WHERE NOT EXISTS (
    SELECT 1 FROM step_trainer_trusted AS s
    WHERE s.serialnumber = n.serialnumber
      AND s.sensorreadingtime = n.sensorreadingtime
      AND s.distancefromobject = n.distancefromobject
)
UNION
SELECT n.customer_key, n.sensorreadingtime, n.distancefromobject, n.x, n.y, n.z
FROM (
    SELECT m.*, k.email
    FROM machine_learning_curated AS m
    LEFT JOIN keyed AS k ON k.customer_key = m.customer_key
) AS n
WHERE NOT EXISTS (
    SELECT 1 FROM accelerometer_trusted AS a
    WHERE a.user = n.email
      AND a.timestamp = n.sensorreadingtime
      AND a.x = n.x AND a.y = n.y AND a.z = n.z
)
