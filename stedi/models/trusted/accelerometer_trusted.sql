-- Phone readings of consenting customers, joined by email. Policy 'strict' keeps only
-- readings taken at or after the customer's research consent; 'any-time' keeps them all.
-- A record delivered twice counts once.
SELECT DISTINCT a.user, a.timestamp, a.x, a.y, a.z
FROM accelerometer_landing AS a
JOIN customer_trusted AS c ON a.user = c.email
CROSS JOIN run_parameters AS p
WHERE p.consent_policy = 'any-time' OR a.timestamp >= c.sharewithresearchasofdate
