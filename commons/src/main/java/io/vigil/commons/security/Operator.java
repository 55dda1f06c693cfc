package io.vigil.commons.security;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a REST resource (class or method) as a control surface: only an operator may call it
 * ({@link OperatorFilter}). A {@code GET} or {@code HEAD} takes the read-only key or the operator
 * key; every other method takes the operator key.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Operator {}
