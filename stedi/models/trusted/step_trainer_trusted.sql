-- Step-trainer readings of curated customers, attributed through the serial number.
-- A serial number held by several customers (a fulfillment defect) cannot be attributed
-- to one person: its readings stay out. 'strict' keeps readings at or after consent.
WITH serial_owner AS (
    SELECT serialnumber, min(email) AS email
    FROM customer_latest
    GROUP BY serialnumber
    HAVING count(*) = 1
)
SELECT DISTINCT
    s.sensorreadingtime,  -- doc: when the step trainer took the reading, in epoch milliseconds (UTC)
    s.serialnumber,  -- doc: serial number (a UUID) of the step trainer, held by exactly one customer (a curated one)
    s.distancefromobject  -- doc: distance from the sensor to the object in front of it, as the step trainer reports it
FROM step_trainer_landing AS s
JOIN serial_owner AS o ON s.serialnumber = o.serialnumber
JOIN customer_curated AS c ON c.email = o.email
CROSS JOIN run_parameters AS p
WHERE p.consent_policy = 'any-time' OR s.sensorreadingtime >= c.sharewithresearchasofdate
