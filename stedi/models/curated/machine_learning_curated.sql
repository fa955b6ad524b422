-- Training data: each trusted step-trainer reading with the phone readings of the SAME
-- customer in the same millisecond. Joining on the timestamp alone would pair one
-- person's step trainer with another person's phone.
-- No personal data: the customer appears only as a keyed hash of the email (the key is
-- in the lake's config, never in a table; 64 hex characters, so key || email is unambiguous).
-- The hash is taken once per customer, before the join, not once per reading.
WITH keyed AS (
    SELECT c.email, c.serialnumber, sha256(p.pseudonym_key || c.email) AS customer_key
    FROM customer_curated AS c
    CROSS JOIN run_parameters AS p
)
SELECT
    k.customer_key,  -- doc: pseudonym of the customer: SHA-256 (64 hex digits) of the lake's secret key followed by the email
    s.sensorreadingtime,  -- doc: when both readings were taken (step trainer and phone, same millisecond), in epoch milliseconds (UTC)
    s.distancefromobject,  -- doc: the step trainer's distance from the sensor to the object in front of it
    a.x,  -- doc: the phone's acceleration along its x axis at that millisecond
    a.y,  -- doc: the phone's acceleration along its y axis at that millisecond
    a.z  -- doc: the phone's acceleration along its z axis at that millisecond
FROM step_trainer_trusted AS s
JOIN keyed AS k ON k.serialnumber = s.serialnumber
JOIN accelerometer_trusted AS a ON a.user = k.email AND a.timestamp = s.sensorreadingtime
