-- Step-trainer readings of curated customers, attributed through the serial number.
-- A serial number held by several customers (a fulfillment defect) cannot be attributed
-- to one person: its readings stay out. 'strict' keeps readings at or after consent.
WITH serial_owner AS (
    SELECT serialnumber, min(email) AS email
    FROM customer_latest
    GROUP BY serialnumber
    HAVING count(*) = 1
)
SELECT DISTINCT s.sensorreadingtime, s.serialnumber, s.distancefromobject
FROM step_trainer_landing AS s
JOIN serial_owner AS o ON s.serialnumber = o.serialnumber
JOIN customer_curated AS c ON c.email = o.email
CROSS JOIN run_parameters AS p
WHERE p.consent_policy = 'any-time' OR s.sensorreadingtime >= c.sharewithresearchasofdate
