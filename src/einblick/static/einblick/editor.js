// The grant editor: "also on a customer, without a contract" only means something with the claim report,
// so it follows that box at once (the server judges again when the area is saved).
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.name !== "claim_report") return;
  const sub = box.form && box.form.querySelector('input[name="claim_report_on_customer"]');
  if (!sub) return;
  sub.disabled = !box.checked;
  if (!box.checked) sub.checked = false;
});
