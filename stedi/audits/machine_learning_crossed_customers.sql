-- Privacy and correctness: machine-learning rows whose phone reading and step-trainer reading
-- are not both of the one customer the row's key names. Zero rows = pass.
-- The key names at most one curated customer (it hashes the email, one curated row each);
-- a row must find that customer's step-trainer reading and that customer's phone reading.
-- Anti-joins against the key's customer, not a correlated rejoin: a third of the time.
WITH keyed AS (
    SELECT c.email, c.serialnumber, sha256(p.pseudonym_key || c.email) AS customer_key
    FROM customer_curated AS c
    CROSS JOIN run_parameters AS p
),
named AS (
    SELECT m.*, k.email, k.serialnumber
    FROM machine_learning_curated AS m
    LEFT JOIN keyed AS k ON k.customer_key = m.customer_key
)
SELECT n.customer_key, n.sensorreadingtime, n.distancefromobject, n.x, n.y, n.z
FROM named AS n
WHERE NOT EXISTS (
    SELECT 1 FROM step_trainer_trusted AS s
    WHERE s.serialnumber = n.serialnumber
      AND s.sensorreadingtime = n.sensorreadingtime
      AND s.distancefromobject = n.distancefromobject
)
UNION
SELECT n.customer_key, n.sensorreadingtime, n.distancefromobject, n.x, n.y, n.z
FROM named AS n
WHERE NOT EXISTS (
    SELECT 1 FROM accelerometer_trusted AS a
    WHERE a.user = n.email
      AND a.timestamp = n.sensorreadingtime
      AND a.x = n.x AND a.y = n.y AND a.z = n.z
)
