-- Consenting customers who have at least one trusted accelerometer reading: one row each.
SELECT
    c.customername, c.email, c.phone, c.birthday, c.serialnumber, c.registrationdate,
    c.lastupdatedate, c.sharewithresearchasofdate, c.sharewithpublicasofdate,
    c.sharewithfriendsasofdate
FROM customer_trusted AS c
WHERE EXISTS (SELECT 1 FROM accelerometer_trusted AS a WHERE a.user = c.email)
