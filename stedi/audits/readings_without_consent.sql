-- Privacy: trusted readings a customer did not consent to share. Zero rows = pass.
-- A reading counts only for a customer with research consent, and under the 'strict'
-- policy only if taken at or after that consent.
SELECT 'accelerometer_trusted' AS table_name, a.user AS customer, a.timestamp AS reading_time,
       c.sharewithresearchasofdate AS consent_time
FROM accelerometer_trusted AS a
LEFT JOIN customer_trusted AS c ON a.user = c.email
CROSS JOIN run_parameters AS p
WHERE c.email IS NULL
   OR (p.consent_policy = 'strict' AND a.timestamp < c.sharewithresearchasofdate)
UNION ALL
SELECT 'step_trainer_trusted', c.email, s.sensorreadingtime, c.sharewithresearchasofdate
FROM step_trainer_trusted AS s
LEFT JOIN customer_trusted AS c ON s.serialnumber = c.serialnumber
CROSS JOIN run_parameters AS p
WHERE c.email IS NULL
   OR (p.consent_policy = 'strict' AND s.sensorreadingtime < c.sharewithresearchasofdate)
