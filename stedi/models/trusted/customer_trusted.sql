-- Customers who agreed to share their data for research (latest record per email).
-- A consent key that is absent or null means no consent.
SELECT
    customername, email, phone, birthday, serialnumber, registrationdate, lastupdatedate,
    sharewithresearchasofdate, sharewithpublicasofdate, sharewithfriendsasofdate
FROM customer_latest
WHERE sharewithresearchasofdate IS NOT NULL
