-- Privacy and correctness: machine-learning rows whose phone reading and step-trainer reading
-- are not both of the one customer the row's key names. Zero rows = pass.
SELECT m.*
FROM machine_learning_curated AS m
WHERE NOT EXISTS (
    SELECT 1
    FROM customer_curated AS c
    CROSS JOIN run_parameters AS p
    JOIN step_trainer_trusted AS s
        ON s.serialnumber = c.serialnumber
       AND s.sensorreadingtime = m.sensorreadingtime
       AND s.distancefromobject = m.distancefromobject
    JOIN accelerometer_trusted AS a
        ON a.user = c.email
       AND a.timestamp = m.sensorreadingtime
       AND a.x = m.x AND a.y = m.y AND a.z = m.z
    WHERE sha256(p.pseudonym_key || c.email) = m.customer_key
)
