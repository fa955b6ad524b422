-- Consenting customers who have at least one trusted accelerometer reading: one row each.
-- No customer_key here, on purpose: the key is what machine_learning_curated names a customer
-- by, and with it beside the email the training table could be joined back to a person.
SELECT
    c.customername,  -- doc: the customer's full name
    c.email,  -- doc: the customer's email, one row each; no customer_key here, so that the training table cannot be joined back to a person by its key
    c.phone,  -- doc: the customer's phone number
    c.birthday,  -- doc: the customer's date of birth (some are centuries old, kept as delivered)
    c.serialnumber,  -- doc: serial number (a UUID) of the customer's step trainer
    c.registrationdate,  -- doc: when the customer registered, in epoch milliseconds (UTC)
    c.lastupdatedate,  -- doc: when the customer's latest record was updated, in epoch milliseconds (UTC)
    c.sharewithresearchasofdate,  -- doc: when the customer agreed to share their data for research, in epoch milliseconds (UTC); never null here
    c.sharewithpublicasofdate,  -- doc: when the customer agreed to share with the public, in epoch milliseconds (UTC); null: no consent
    c.sharewithfriendsasofdate  -- doc: when the customer agreed to share with friends, in epoch milliseconds (UTC); null: no consent
FROM customer_trusted AS c
WHERE EXISTS (SELECT 1 FROM accelerometer_trusted AS a WHERE a.user = c.email)
