-- Phone readings of consenting customers, joined by email. Policy 'strict' keeps only
-- readings taken at or after the customer's research consent; 'any-time' keeps them all.
-- A record delivered twice counts once.
SELECT DISTINCT
    a.user,  -- doc: email address of the consenting customer whose phone took the reading
    a.timestamp,  -- doc: when the phone took the reading, in epoch milliseconds (UTC)
    a.x,  -- doc: acceleration along the phone's x axis, as the phone reports it
    a.y,  -- doc: acceleration along the phone's y axis, as the phone reports it
    a.z  -- doc: acceleration along the phone's z axis, as the phone reports it
FROM accelerometer_landing AS a
JOIN customer_trusted AS c ON a.user = c.email
CROSS JOIN run_parameters AS p
WHERE p.consent_policy = 'any-time' OR a.timestamp >= c.sharewithresearchasofdate
