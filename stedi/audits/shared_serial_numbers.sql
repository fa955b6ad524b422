-- Serial numbers held by more than one customer (latest records): a fulfillment defect.
-- Their step-trainer readings cannot be attributed to one person and stay out of trusted.
-- One row per such serial number; zero rows means no defect in this delivery.
SELECT
    o.serialnumber,
    o.customers,
    (SELECT count(*) FROM step_trainer_landing AS s WHERE s.serialnumber = o.serialnumber) AS readings
FROM (
    SELECT serialnumber, count(*) AS customers
    FROM customer_latest
    GROUP BY serialnumber
    HAVING count(*) > 1
) AS o
