/* Runs first: remember every script error and console.error so the
   page's self-test (and a person) can see them. */
window.membudgetErrors = [];
window.addEventListener("error", function (ev) {
    window.membudgetErrors.push(String(ev.message || ev.type) +
        (ev.filename ? " at " + ev.lineno + ":" + ev.colno : ""));
});
/* The page's Content-Security-Policy forbids every fetch: report attempts */
document.addEventListener("securitypolicyviolation", function (ev) {
    window.membudgetErrors.push("blocked " + ev.violatedDirective + ": " + ev.blockedURI);
});
window.addEventListener("unhandledrejection", function (ev) {
    window.membudgetErrors.push("unhandled rejection: " + String(ev.reason));
});
(function () {
    var original = console.error;
    console.error = function () {
        window.membudgetErrors.push(Array.prototype.join.call(arguments, " "));
        return original.apply(console, arguments);
    };
})();
