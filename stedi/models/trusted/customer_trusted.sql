-- Customers who agreed to share their data for research (latest record per email).
-- A consent key that is absent or null means no consent.
SELECT
    customername,  -- doc: the customer's full name
    email,  -- doc: the customer's email address: one row per email
    phone,  -- doc: the customer's phone number
    birthday,  -- doc: the customer's date of birth (some are centuries old, kept as delivered)
    serialnumber,  -- doc: serial number (a UUID) of the customer's step trainer
    registrationdate,  -- doc: when the customer registered, in epoch milliseconds (UTC)
    lastupdatedate,  -- doc: when the customer's latest record was updated, in epoch milliseconds (UTC)
    sharewithresearchasofdate,  -- doc: when the customer agreed to share their data for research, in epoch milliseconds (UTC); never null here
    sharewithpublicasofdate,  -- doc: when the customer agreed to share with the public, in epoch milliseconds (UTC); null: no consent
    sharewithfriendsasofdate  -- doc: when the customer agreed to share with friends, in epoch milliseconds (UTC); null: no consent
FROM customer_latest
WHERE sharewithresearchasofdate IS NOT NULL
